const MAX_DETAIL = 500;

/**
 * A function that cuts the given secrets (and their parts) out of text from upstream, collapses
 * whitespace and bounds its length: what remains may go to logs and audit records.
 */
export const redactor = (secrets: readonly string[]): ((text: string) => string) => {
  const parts = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => {
    let result = text;
    for (const secret of parts) result = result.split(secret).join('[redacted]');
    result = result.replace(/\s+/g, ' ').trim();
    return result.length > MAX_DETAIL ? `${result.slice(0, MAX_DETAIL - 1)}…` : result;
  };
};
