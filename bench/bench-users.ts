// Bench users are deleted when a benchmark ends, with their records (the schema cascades), so that repeated runs
// do not fill the database with hours of MP3.
import postgres from 'postgres';

export async function deleteBenchUsers(databaseUrl: string, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`delete from users where id in ${sql(userIds)}`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
