// The public face of @strongbox/chain-testing: the test ERC-20 (kept in shared-stack), compiled from source and deployed to anvil.
export {
  ANVIL_DEPLOYER_PRIVATE_KEY,
  ANVIL_SECOND_PRIVATE_KEY,
  ANVIL_TEST_MNEMONIC,
  testDepositXpub,
  compileTestToken,
  deployTestToken,
  type CompiledContract,
  type DeployedTestToken,
} from './test-token';
