// Colours the HTML report and the ladders share, so a state looks the same everywhere.

import type { TcpState } from '../tcp/state.js';

export const STATE_COLOR: Record<TcpState, string> = {
  ESTABLISHED: '#1b9e77',
  SYN_SENT: '#4f95cf',
  SYN_RECV: '#86bfe0',
  FIN_WAIT_1: '#d9a300',
  FIN_WAIT_2: '#d95f02',
  TIME_WAIT: '#3949ab',
  CLOSE: '#9a9a9a',
  CLOSE_WAIT: '#e7298a',
  LAST_ACK: '#7570b3',
  LISTEN: '#b5b5b5',
  CLOSING: '#a6761d',
};

export const ERROR_COLOR = '#c62828';
export const WARN_COLOR = '#e08a00';
export const COPY_COLOR = '#7b3fa0';
export const INK = '#222222';
export const MUTED = '#6b6b6b';
