import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
const nc = await connect({ servers: 'nats://127.0.0.1:4222', timeout: 2000 });
const jsm = await jetstreamManager(nc);
const made=[];
try {
for (let i=0;i<40;i++) { const n=`PROBE_R${i}`; await jsm.streams.add({ name: n, subjects: [`prober${i}.>`], storage: 'file', max_bytes: 1024**3 }); made.push(n); }
console.log('created 40 x 1GiB');
} catch (e) { console.log('failed after', made.length, e.message); }
const a = await jsm.getAccountInfo(); console.log(a.storage, a.reserved_storage);
for (const n of made) await jsm.streams.delete(n);
await nc.close();
