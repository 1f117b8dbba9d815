/** The reply every Bowl Desktop HTTP call gets: `{status, msg, data}` (its client reads `msg`). */
export interface Envelope {
  status: 'SUCCESS' | 'FAILURE';
  msg: string;
  data: unknown;
}

export const success = (msg: string, data: unknown = ''): Envelope => ({
  status: 'SUCCESS',
  msg,
  data,
});

export const failure = (msg: string): Envelope => ({ status: 'FAILURE', msg, data: '' });
