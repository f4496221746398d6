export {
  createVersionedSessionStorage,
  type VersionedSessionStorage,
  type VersionedSessionStorageOptions,
  type VersionedSessionStorageStatus,
} from './versioned-session.storage';
