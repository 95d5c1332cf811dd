import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownershipProblems, TABLE_OWNERS, tableWrites } from '../support/table-ownership.ts';
import { projectRoot } from '../support/paths.ts';
import { plantedTrees } from '../support/planted-tree.ts';

const src = path.join(projectRoot, 'src');
const plantTree = plantedTrees('table-ownership-');

describe('table ownership', () => {
  it('names an owner for every table of the database types', () => {
    const types = readFileSync(path.join(src, 'db', 'database.ts'), 'utf8');
    const block = types.slice(types.indexOf('export interface Database {'));
    const tables = [...block.slice(0, block.indexOf('}')).matchAll(/^\s+([a-z_]+):/gm)].map((match) => match[1]);
    expect(Object.keys(TABLE_OWNERS).sort()).toEqual(tables.sort());
  });

  it('has every table written by its owner’s repository only, and no SQL outside repositories', () => {
    expect(ownershipProblems(src)).toEqual([]);
  });

  it('sees the writes it checks (each owner writes its tables)', () => {
    const writers = new Set(tableWrites(src).map((write) => `${write.table} ${write.file}`));
    for (const [table, owner] of Object.entries(TABLE_OWNERS)) if (owner) expect(writers, table).toContain(`${table} ${owner}`);
  });

  it('fails on a planted write from another module, in kysely or in SQL text, and on SQL in a service', () => {
    const root = plantTree({
      'modules/users/users.repository.ts': "export const a = (db) => db.updateTable('users').set({}).execute();\n",
      'modules/admin/admin.service.ts': "export const b = (db) => db.insertInto('users as u').values({}).execute();\n",
      'modules/accounts/accounts.repository.ts': 'export const c = (db) => sql`UPDATE users SET status = ${"active"}`.execute(db);\n',
    });
    expect(ownershipProblems(root, { users: 'modules/users/users.repository.ts' })).toEqual([
      'modules/accounts/accounts.repository.ts:1 writes users, owned by modules/users/users.repository.ts',
      'modules/admin/admin.service.ts:1 writes users, owned by modules/users/users.repository.ts',
      'modules/admin/admin.service.ts:1 holds SQL outside a repository',
    ]);
  });
});
