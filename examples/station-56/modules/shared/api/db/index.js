// Mock source database of station 56: an in-memory SQLite (sql.js) built from schema.sql and the
// committed seed files, so every run reads exactly the same source rows.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import initSqlJs from 'sql.js';

const here = fileURLToPath(new URL('.', import.meta.url));

// Opens the source database; the caller closes it with db.close().
export async function openSourceDb({ schemaFile = `${here}schema.sql`, seedDir = `${here}seed` } = {}) {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run(readFileSync(schemaFile, 'utf8'));
  // Seed file names are table names; rows are inserted in file order inside one transaction.
  const files = readdirSync(seedDir).filter((f) => f.endsWith('.json')).sort();
  db.run('BEGIN');
  for (const file of files) {
    const table = file.slice(0, -'.json'.length);
    const rows = JSON.parse(readFileSync(`${seedDir}/${file}`, 'utf8'));
    for (const row of rows) {
      const columns = Object.keys(row);
      const sql = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
      db.run(sql, columns.map((c) => row[c]));
    }
  }
  db.run('COMMIT');
  return db;
}

// Lists the columns of a table, or null when the table does not exist.
export function tableColumns(db, table) {
  const result = db.exec(`SELECT name FROM pragma_table_info('${table.replaceAll("'", "''")}')`);
  if (result.length === 0) return null;
  return result[0].values.map(([name]) => name);
}

// Reads all rows of a table as objects, ordered by the given key column.
export function readRows(db, table, key) {
  const stmt = db.prepare(`SELECT * FROM "${table}" ORDER BY "${key}"`);
  const rows = [];
  try {
    while (stmt.step()) rows.push(stmt.getAsObject());
  } finally {
    stmt.free();
  }
  return rows;
}
