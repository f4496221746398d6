import { connect, headers, nanos } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
const nc = await connect({ servers: 'nats://127.0.0.1:4222', timeout: 2000 });
const jsm = await jetstreamManager(nc); const js = jetstream(nc);
const S='PROBE_X';
try { await jsm.streams.delete(S);} catch {}
await jsm.streams.add({ name: S, subjects: ['probex.>'], max_bytes: 1024*1024*1024, storage: 'file', discard: 'new', max_msg_size: 1000, duplicate_window: nanos(3600_000), max_age: nanos(86400_000) });
console.log('acct', (await jsm.getAccountInfo()));
const ci = await jsm.consumers.add(S, { durable_name: 'c1', ack_policy: 'explicit', deliver_policy: 'all', max_ack_pending: 1, ack_wait: nanos(30000), filter_subject: 'probex.>', max_deliver: 5 });
console.log('consumer created', ci.config);
const u = await jsm.consumers.update(S, 'c1', { description: 'hi', max_deliver: 7, ack_wait: nanos(20000), max_ack_pending: 2 });
console.log('updated', u.config.max_deliver, u.config.description, u.config.max_ack_pending);
await js.publish('probex.a', 'one'); await js.publish('probex.b', 'two');
const c = await js.consumers.get(S, 'c1');
const t0 = Date.now();
let m = await c.next({expires: 5000}); console.log('got', m.seq, m.info.deliveryCount); m.nak(5000);
let m2 = await c.next({expires: 5000}); console.log('after nak got', m2?.seq, m2?.info.deliveryCount, Date.now()-t0, 'ms');
// try publish oversize
try { await js.publish('probex.c', new Uint8Array(2000), {msgID:'x'}); } catch (e) { console.log('oversize', e.constructor.name, e.message, e.code, e.status, e.cause?.constructor?.name); }
try { await js.publish('nostream.c', 'x', {timeout: 1000}); } catch (e) { console.log('nostream', e.constructor.name, e.message, e.cause?.constructor?.name, e.isNoResponders?.()); }
try { await jsm.streams.update(S, { subjects:['probex.>'], storage: 'memory' }); } catch (e) { console.log('upd storage', e.constructor.name, e.message, e.code); }
try { await jsm.streams.info('NOPE_NOPE'); } catch (e) { console.log('info missing', e.constructor.name, e.message, e.code); }
try { await jsm.consumers.info(S, 'nope'); } catch (e) { console.log('cinfo missing', e.constructor.name, e.message, e.code); }
await jsm.streams.delete(S);
await nc.close();
