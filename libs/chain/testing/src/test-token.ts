// The test ERC-20 lives in @strongbox/shared-stack, so that the dev stack and the system tests
// (which may only import shared libs) deploy the same token as the chain tests.
export {
  ANVIL_DEPLOYER_PRIVATE_KEY,
  ANVIL_SECOND_PRIVATE_KEY,
  ANVIL_TEST_MNEMONIC,
  attachTestToken,
  compileTestToken,
  deployTestToken,
  testDepositXpub,
  type CompiledContract,
  type DeployedTestToken,
} from '@strongbox/shared-stack';
