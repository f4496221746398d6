// Child side of emulator.process.ts: runs the Bot API emulator and answers the parent over IPC.
import { startBotApiEmulator } from '@strongbox/shared-testing';

const limits = JSON.parse(process.argv[2] ?? '{}') as { perChatPerSecond: number; globalPerSecond: number };
const emulator = await startBotApiEmulator({ floodLimits: limits });
process.send?.({ started: { token: emulator.token, apiRoot: emulator.apiRoot } });

process.on('message', (message: { id: number; command: string; chatIds?: number[]; method?: string }) => {
  const reply = (result: unknown) => process.send?.({ id: message.id, ok: true, result });
  try {
    switch (message.command) {
      case 'openChats':
        for (const chatId of message.chatIds ?? []) emulator.openChat({ userId: chatId, firstName: `b${chatId}` });
        reply(null);
        return;
      case 'sentMessages':
        reply(emulator.sentMessages());
        return;
      case 'calls':
        reply(emulator.calls(message.method ?? 'sendMessage'));
        return;
      case 'close':
        void emulator.close().then(() => {
          reply(null);
          process.exit(0);
        });
        return;
      default:
        process.send?.({ id: message.id, ok: false, error: `unknown command ${message.command}` });
    }
  } catch (error) {
    process.send?.({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
// The parent gone, nothing is left to answer.
process.on('disconnect', () => void emulator.close().finally(() => process.exit(0)));
