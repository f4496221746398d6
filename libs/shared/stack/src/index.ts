export { anvilBinaryPath, rpcBlockNumber, startAnvil, stopChild, type AnvilNode } from './anvil';
export { createServiceProcess, SERVICE_NAMES, waitUntilReady, type ProcessExit, type ServiceName, type ServiceProcess } from './service-process';
export { serviceEnvironment, startStack, type Stack, type StackOptions } from './stack';
export {
  ANVIL_DEPLOYER_PRIVATE_KEY,
  ANVIL_SECOND_PRIVATE_KEY,
  ANVIL_TEST_MNEMONIC,
  attachTestToken,
  compileTestToken,
  deployTestToken,
  testChainWatcherEnv,
  testDepositXpub,
  type CompiledContract,
  type DeployedTestToken,
} from './test-token';
