// Proves the private PostgreSQL cluster: initdb and pg_ctl run as the `postgres` OS user, the
// cluster answers postgres.js on a free port, a committed row survives both a SIGKILL of every
// server process followed by restart() (crash recovery from the WAL) and a graceful restart(), and
// stop() leaves nothing listening. One test only: a cluster takes seconds to create.
import { afterAll, expect, it } from 'vitest';
import postgres from 'postgres';
import { startPrivatePostgres, type PrivateServer } from '../../src/index';
import { canConnect } from '../../src/private-server.process';

let server: PrivateServer | undefined;

afterAll(async () => {
  await server?.stop();
});

async function rowsOf(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => undefined });
  try {
    const rows = await sql<{ note: string }[]>`select note from kept order by id`;
    return rows.map((row) => row.note);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

it('starts, connects, survives kill and restart with its data, and stops', async () => {
  server = await startPrivatePostgres();
  expect(server.port).not.toBe(5432);
  expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);

  const sql = postgres(server.url, { max: 1, connect_timeout: 10, onnotice: () => undefined });
  await sql`create table kept (id serial primary key, note text not null)`;
  await sql`insert into kept (note) values ('before the crash')`;
  await sql.end({ timeout: 5 });

  await server.kill();
  expect(await canConnect(server.port)).toBe(false);
  await server.restart();
  expect(await rowsOf(server.url)).toEqual(['before the crash']);

  await server.restart();
  expect(await rowsOf(server.url)).toEqual(['before the crash']);

  const port = server.port;
  await server.stop();
  expect(await canConnect(port)).toBe(false);
});
