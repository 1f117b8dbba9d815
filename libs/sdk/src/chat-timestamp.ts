const two = (n: number) => String(n).padStart(2, '0');

/** The `date` (DD/MM/YYYY) and `time` (HH:MM) fields of a chat message, in local time. */
export function chatTimestamp(at = new Date()): { date: string; time: string } {
  return {
    date: `${two(at.getDate())}/${two(at.getMonth() + 1)}/${at.getFullYear()}`,
    time: `${two(at.getHours())}:${two(at.getMinutes())}`,
  };
}
