/**
 * The OpenAPI document is one contract for clients, whichever module's file declares a route: the
 * document generated now must equal the one generated before the JSON routes moved into their
 * modules (snapshots/openapi.json, taken from commit 26d8151). A deliberate change to the API
 * updates the snapshot in the same commit: `UPDATE_OPENAPI_SNAPSHOT=1 npx vitest run` on this file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { projectRoot } from '../support/paths.ts';

const snapshotFile = path.join(projectRoot, 'tests', 'integration', 'snapshots', 'openapi.json');

let database: TestDatabase;
let server: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await buildTestApp(database);
});

afterAll(async () => {
  await server?.close();
  await database?.destroy();
});

describe('the OpenAPI document at /api/docs/json', () => {
  it('is the same document clients had: every path, operation and schema', async () => {
    const response = await server.inject({ url: '/api/docs/json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as { paths: Record<string, unknown>; components?: unknown };
    if (process.env.UPDATE_OPENAPI_SNAPSHOT === '1') writeFileSync(snapshotFile, `${JSON.stringify(document, null, 2)}\n`);
    const expected = JSON.parse(readFileSync(snapshotFile, 'utf8')) as typeof document;
    expect(Object.keys(document.paths).sort()).toEqual(Object.keys(expected.paths).sort());
    expect(document).toEqual(expected);
  });
});
