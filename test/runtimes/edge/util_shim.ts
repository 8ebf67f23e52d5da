/** `node:util`'s inspect for Vercel's Edge runtime: JSON plus the string form (for the leak scans). */
export function inspect(value: unknown): string {
  let json = "";
  try {
    json = JSON.stringify(value) ?? "";
  } catch { /* cyclic */ }
  return `${json} ${String(value)}`;
}
