export {
  createCallbackDataCodec,
  newIntentId,
  CALLBACK_DATA_BYTES_MAX,
  CALLBACK_SECRET_LENGTH_MIN,
  BUTTON_ACTION_PATTERN,
  BUTTON_PAYLOAD_PATTERN,
  BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX,
  type CallbackDataCodec,
  type SignedButton,
} from './callback-data.codec';
export {
  createSignedButtons,
  ButtonTexts,
  type ButtonsContext,
  type ButtonHandler,
  type ButtonOptions,
  type SignedButtons,
  type SignedButtonsOptions,
} from './signed-buttons';
