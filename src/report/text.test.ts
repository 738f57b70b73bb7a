import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../scenario/load.js';
import { RESULT_FORMAT, type Result } from '../sim/result.js';
import { milliseconds, renderText, sparkline } from './text.js';
import { bytes, wrap } from './format.js';

/** A small client -> lb -> web run that ran out of ports towards web1. */
function fixture(): Result {
  return {
    format: RESULT_FORMAT,
    engine: 'simulate',
    scenario: 'tiny-lb',
    kernel: 'linux-6.18',
    seed: 7,
    simulated_seconds: 4,
    clients: [
      {
        host: 'client',
        target: 'lb:80',
        attempted: 1200,
        connected: 1150,
        completed: 1140,
        errors: { EADDRNOTAVAIL: 50, ECONNREFUSED: 0, ETIMEDOUT: 0, ECONNRESET: 0 },
        errors_first_s: { EADDRNOTAVAIL: 1.25 },
        connect_ms: { p50: 0.1, p99: 0.25, max: 1003.2 },
        connect_probes: { p50: 1, p99: 480, max: 500 },
      },
    ],
    proxies: [
      {
        host: 'lb',
        requests: 1140,
        failed: 3,
        upstreams: [
          { target: 'web1:80', attempted: 570, connected: 567, errors: { EADDRNOTAVAIL: 3 }, errors_first_s: { EADDRNOTAVAIL: 3.5 }, reused: 0, connect_probes: { p50: 2, p99: 300, max: 28232 } },
        ],
      },
    ],
    hosts: {
      client: {
        states_end: { ESTABLISHED: 0, TIME_WAIT: 500, CLOSE_WAIT: 0 },
        states_peak: { TIME_WAIT: 500, SYN_SENT: 3 },
        mib: { TcpActiveOpens: 1200, TcpPassiveOpens: 0, TcpExtTW: 0, TcpExtTCPTimeWaitOverflow: 2, TcpExtPAWSEstab: 9 },
        timewait_memory_bytes_peak: 128000,
        bind_buckets_peak: 503,
      },
      lb: {
        states_end: {},
        states_peak: {},
        mib: { TcpActiveOpens: 0 },
        timewait_memory_bytes_peak: 0,
        bind_buckets_peak: 0,
      },
    },
    snapshots: [],
    integrity: { stale_segments_accepted: 0, stale_bytes_accepted: 0, resets_from_stale_state: 0 },
    series: { interval_s: 1, t: [0, 1, 2, 3, 4], hosts: { client: { TIME_WAIT: [0, 100, 250, 400, 500] }, lb: { TIME_WAIT: [0, 0, 0, 0, 0] } } },
    what_if: { lb: { timewait_len: '0s' } },
  };
}

const lines = (text: string) => text.split('\n');
const line = (text: string, start: string) => lines(text).find((l) => l.trimStart().startsWith(start));

describe('text report', () => {
  const text = renderText(fixture());

  it('header: scenario, simulated time, kernel, seed', () => {
    assert.equal(lines(text)[0], 'Scenario tiny-lb: 4 s simulated on the linux-6.18 model, seed 7');
  });

  it('what_if knobs are flagged as not Linux', () => {
    assert.equal(lines(text)[1], 'What-if knobs (simulator only, not Linux behaviour): lb timewait_len=0s');
  });

  it('client: counts, failed (errno) and no response (closed without one, or still open at the end), non-zero errors only', () => {
    assert.ok(text.includes('Client client → lb:80\n'));
    assert.equal(line(text, 'attempted'), '  attempted 1200, connected 1150, completed 1140, failed 50, no response 10');
    assert.equal(line(text, 'errors:'), '  errors: EADDRNOTAVAIL 50');
  });

  it('client: connect time and probes as an aligned p50/p99/max table', () => {
    assert.equal(line(text, 'p50'), '                    p50    p99   max');
    assert.equal(line(text, 'connect ms'), '  connect ms      0.100  0.250  1003');
    assert.equal(line(text, 'connect probes'), '  connect probes      1    480   500');
  });

  it('proxy: requests, failures, one row per upstream with its errors', () => {
    assert.equal(line(text, 'Proxy lb'), 'Proxy lb: 1140 requests, 3 failed');
    assert.equal(line(text, 'upstream'), '  upstream  attempted  connected  reused  probes p50  p99    max  errors');
    assert.equal(line(text, 'web1:80'), '  web1:80         570        567       0           2  300  28232  EADDRNOTAVAIL 3');
  });

  it('host: only states that had sockets, end and peak, in kernel order', () => {
    const client = text.slice(text.indexOf('Host client'), text.indexOf('Host lb'));
    assert.deepEqual(lines(client).slice(1, 4), ['  state      end  peak', '  SYN_SENT     0     3', '  TIME_WAIT  500   500']);
    assert.ok(!client.includes('ESTABLISHED'));
  });

  it('host: timewait memory in binary units, local ports in use', () => {
    assert.equal(line(text, 'timewait memory'), '  timewait memory peak: 125.0 KiB, local ports in use peak: 503');
  });

  it('host: key counters, non-zero only, others left to --json', () => {
    const client = text.slice(text.indexOf('Host client'), text.indexOf('Host lb'));
    assert.equal(line(client, 'TcpActiveOpens'), '  TcpActiveOpens             1200');
    assert.equal(line(client, 'TcpExtTCPTimeWaitOverflow'), '  TcpExtTCPTimeWaitOverflow     2');
    assert.ok(!client.includes('TcpPassiveOpens'));
    assert.ok(!client.includes('TcpExtPAWSEstab'), 'not a key counter');
  });

  it('host: TIME_WAIT sparkline over the series, none for a host that never had one', () => {
    assert.equal(line(text, 'TIME_WAIT 0'), '  TIME_WAIT 0–4 s  ▁▃▅▇█  max 500');
    const lb = text.slice(text.indexOf('Host lb'));
    assert.ok(lb.includes('no sockets'));
    assert.ok(!lb.includes('▁'));
  });

  it('host: connect() calls from the host, errors by errno and probes, summed over its clients and proxies', () => {
    const client = text.slice(text.indexOf('Host client'), text.indexOf('Host lb'));
    assert.equal(line(client, 'connect()'), '  connect(): 1200 calls, EADDRNOTAVAIL 50; probes p50 1, p99 480, max 500');
    const lb = text.slice(text.indexOf('Host lb'));
    assert.equal(line(lb, 'connect()'), '  connect(): 570 calls, EADDRNOTAVAIL 3; probes p50 2, p99 300, max 28232');
  });

  it('host: several destinations: calls and errors summed, probes the worst of them; none without errors', () => {
    const r = fixture();
    r.proxies[0]?.upstreams.push({ target: 'web2:80', attempted: 430, connected: 430, errors: { EADDRNOTAVAIL: 0 }, errors_first_s: {}, reused: 0, connect_probes: { p50: 3, p99: 200, max: 900 } });
    const lb = renderText(r).slice(renderText(r).indexOf('Host lb'));
    assert.equal(line(lb, 'connect()'), '  connect(): 1000 calls, EADDRNOTAVAIL 3; probes p50 3, p99 300, max 28232 (worst of 2)');
    r.proxies[0]!.upstreams[0]!.errors = { EADDRNOTAVAIL: 0 };
    assert.match(line(renderText(r).slice(renderText(r).indexOf('Host lb')), 'connect()') ?? '', /^ {2}connect\(\): 1000 calls, no errors; probes/);
  });

  it('host: no port search at all is one figure, not three', () => {
    const r = fixture();
    r.clients[0]!.connect_probes = { p50: 0, p99: 1, max: 1 };
    assert.equal(line(renderText(r).slice(renderText(r).indexOf('Host client')), 'connect()'), '  connect(): 1200 calls, EADDRNOTAVAIL 50; probes max 1');
  });

  it('host: a host that only masquerades shows its NAT table, not an empty socket line', () => {
    const r = fixture();
    r.hosts['nat1'] = { states_end: {}, states_peak: {}, mib: {}, timewait_memory_bytes_peak: 0, bind_buckets_peak: 0, nat: { conntrack_end: 300, conntrack_peak: 310, remapped_ports: 4, dropped: 0 } };
    const nat = renderText(r).slice(renderText(r).indexOf('Host nat1'));
    assert.deepEqual(lines(nat).slice(0, 3), ['Host nat1', '  no sockets', '  NAT: conntrack peak 310, at end 300; 4 source ports remapped, 0 segments dropped (no free port)']);
    assert.ok(!nat.includes('timewait memory'));
  });

  it('host: the counters the verdict tells its stories with', () => {
    const r = fixture();
    r.hosts['lb']!.mib = { TcpRetransSegs: 2, TcpExtTCPChallengeACK: 1, TcpExtTCPSynRetrans: 1, TcpExtPAWSPassive: 7 };
    const lb = renderText(r).slice(renderText(r).indexOf('Host lb'));
    for (const c of ['TcpRetransSegs', 'TcpExtTCPChallengeACK', 'TcpExtTCPSynRetrans', 'TcpExtPAWSPassive']) assert.ok(line(lb, c), `${c} in\n${lb}`);
  });

  it('integrity: what only the simulator sees', () => {
    assert.equal(line(text, 'Integrity'), 'Integrity (simulator only): stale segments accepted 0, stale bytes 0, resets from stale state 0');
  });

  it('no line is wider than 100 columns', () => {
    for (const l of lines(text)) assert.ok([...l].length <= 100, l);
  });

  it('no colour unless asked; with colour, the same text inside ANSI codes', () => {
    assert.ok(!text.includes('\x1b['));
    const coloured = renderText(fixture(), { color: true });
    assert.ok(coloured.includes('\x1b[1mScenario tiny-lb\x1b[22m'));
    assert.ok(coloured.includes('\x1b[31mEADDRNOTAVAIL 50\x1b[39m'));
    // eslint-disable-next-line no-control-regex
    assert.equal(coloured.replace(/\x1b\[[0-9;]*m/g, ''), text);
  });

  it('a lab result names the real kernel and has no integrity line', () => {
    const lab = renderText({ ...fixture(), engine: 'lab', kernel: '6.18.0-1-amd64', integrity: null });
    assert.equal(lines(lab)[0], 'Scenario tiny-lb: 4 s on the real kernel 6.18.0-1-amd64, seed 7');
    assert.ok(!lab.includes('Integrity'));
  });
});

describe('text report: What happened', () => {
  // The fixture's topology, enough for the verdict to name hosts, ranges and rates.
  const scenario = parseScenario(
    `
name: tiny-lb
seed: 7
duration: 4s
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.ip_local_port_range: "50000 50499" } }
  lb: { address: 198.18.0.10, what_if: { timewait_len: 0s } }
  web1: { address: 198.18.0.43 }
servers: [{ host: web1, port: 80 }]
clients: [{ host: client, target: lb:80, count: 1200, rate: 300/s }]
proxies: [{ host: lb, port: 80, upstreams: [web1:80] }]
`,
    'tiny-lb.yaml',
  );
  const text = renderText(fixture(), { scenario, changed: ['client.sysctl.net.ipv4.tcp_tw_reuse=0'] });

  it('comes right after the header, one bullet per sentence', () => {
    const at = lines(text).indexOf('What happened');
    assert.ok(at > 0, text);
    assert.equal(lines(text)[at - 1], '', 'a blank line after the header');
    assert.match(lines(text)[at + 1] ?? '', /^ {2}- client ran out of local ports to 198\.18\.0\.10:80 \(lb\) at t=1\.25 s/);
    assert.ok(text.indexOf('What happened') < text.indexOf('Client client'));
  });

  it('long sentences wrap under their bullet, within 100 columns', () => {
    const block = text.slice(text.indexOf('What happened'), text.indexOf('\n\n', text.indexOf('What happened')));
    for (const l of lines(block).slice(1)) {
      assert.match(l, /^ {2}- \S|^ {4}\S/, l);
      assert.ok([...l].length <= 100, l);
    }
  });

  it('the header names changes made on the command line', () => {
    assert.equal(lines(text)[1], 'Changed on the command line: client.sysctl.net.ipv4.tcp_tw_reuse=0');
  });

  it('without the scenario there is no verdict', () => {
    assert.ok(!renderText(fixture()).includes('What happened'));
  });

  it('wrap breaks at spaces, never inside a number grouped with no-break spaces', () => {
    assert.deepEqual(wrap('aa bb 28\u00a0232 cc', 8), ['aa bb', '28\u00a0232', 'cc']);
  });
});

describe('sparkline', () => {
  it('▁ for zero, █ for the maximum, the smallest non-zero value above ▁', () => {
    assert.equal(sparkline([0, 1, 50, 100]), '▁▂▅█');
  });

  it('all zero: flat', () => {
    assert.equal(sparkline([0, 0, 0]), '▁▁▁');
  });

  it('folds a long series to the width, keeping each cell\'s peak', () => {
    const values = Array.from({ length: 120 }, (_, i) => (i === 61 ? 10 : 1));
    const s = sparkline(values, 60);
    assert.equal([...s].length, 60);
    assert.equal([...s][30], '█');
    assert.equal([...s].filter((c) => c === '█').length, 1);
  });
});

describe('units', () => {
  it('milliseconds: about three significant digits', () => {
    assert.deepEqual([0, 0.1, 1.5, 30.04, 1000].map(milliseconds), ['0', '0.100', '1.50', '30.0', '1000']);
  });

  it('bytes: binary units', () => {
    assert.deepEqual([0, 1023, 1024, 128000, 3 * 1024 * 1024].map(bytes), ['0 B', '1023 B', '1.0 KiB', '125.0 KiB', '3.0 MiB']);
  });
});
