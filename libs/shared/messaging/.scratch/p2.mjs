import { connect, nanos } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
const nc = await connect({ servers: 'nats://127.0.0.1:4222', timeout: 2000 });
const jsm = await jetstreamManager(nc); const js = jetstream(nc);
const S='PROBE_Y';
try { await jsm.streams.delete(S);} catch {}
await jsm.streams.add({ name: S, subjects: ['probey.>'], storage: 'file' });
await jsm.consumers.add(S, { durable_name: 'c1', ack_policy: 'explicit', deliver_policy: 'all', max_ack_pending: 1, ack_wait: nanos(30000), filter_subject: 'probey.>', max_deliver: 5 });
await js.publish('probey.a', 'one'); await js.publish('probey.b', 'two');
const c = await js.consumers.get(S, 'c1');
const t0 = Date.now();
let m = await c.next({expires: 8000}); console.log('got', m.seq, m.info.deliveryCount); m.nak(5000);
let m2 = await c.next({expires: 8000}); console.log('after nak got', m2?.seq, m2?.info.deliveryCount, Date.now()-t0, 'ms');
try { await js.publish('nostream.c', 'x', {timeout: 1000}); } catch (e) { let x=e; while (x) { console.log(' chain', x.constructor.name, x.name, x.message); x = x.cause; } }
console.log((await jsm.consumers.info(S,'c1')).num_ack_pending);
await jsm.streams.delete(S);
await nc.close();
