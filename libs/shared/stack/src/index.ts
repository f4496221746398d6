export { anvilBinaryPath, rpcBlockNumber, startAnvil, stopChild, type AnvilNode } from './anvil';
export { createServiceProcess, SERVICE_NAMES, waitUntilReady, type ProcessExit, type ServiceName, type ServiceProcess } from './service-process';
export { serviceEnvironment, startStack, type Stack, type StackOptions } from './stack';
