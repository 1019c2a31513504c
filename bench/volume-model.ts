/**
 * The monthly audit volume and cost of an organization (#13 item 6): measured record sizes (bench/volume.ts)
 * times the assumptions below. Pure. Prices are AWS list prices in us-east-1 (checked 2026-11); they are
 * inputs to check against the current price list, not measurements.
 */

/** What bench/volume.ts measured for one guardrail. */
export interface GuardrailVolume {
  guardrail: string;
  /** Its default sweep schedule. */
  schedule: string;
  steadyResources: number;
  steadyOutcomes: string;
  /** Mean bytes of one signed record in its EventBridge envelope. */
  bytes: { remediated: number; compliant: number; summaryRecord: number };
  steadySweep: { all: { records: number; bytes: number }; summary: { records: number; bytes: number } };
}

export const ASSUMPTIONS = {
  accounts: 1000,
  regions: 4,
  /** Governed resources per account and region (a typical member account); other guardrails: 1. */
  resources: {
    cloudtrail: 1,
    'flow-logs': 3,
    'bucket-logging': 20,
    guardduty: 1,
    'config-recorder': 1,
    'load-balancer-logs': 3,
    'eks-control-plane-logs': 1,
    'resolver-query-logs': 3,
  } as Record<string, number>,
  /** Non-compliant or changed results (tampering, new resources) per account and region per month, each published in full. */
  changesPerDeploymentMonth: 10,
  heartbeatMinutes: 15,
  daysPerMonth: 30,
} as const;

export const PRICES = {
  /** EventBridge custom events put on a bus, per million 64 KB chunks. */
  eventBridgePerMillion: 1.0,
  /** CloudWatch Logs standard ingestion, per GB. */
  logsIngestPerGb: 0.5,
  /** Kinesis Data Streams on demand: per GB written, and per stream hour. */
  kinesisPerGb: 0.08,
  kinesisStreamHour: 0.04,
  /** Firehose ingestion per GB, each record rounded up to 5 KB. */
  firehosePerGb: 0.029,
  firehoseRecordBytes: 5 * 1024,
  /** S3 Standard storage per GB-month (one month of records; Object Lock keeps them for the retention). */
  s3PerGbMonth: 0.023,
  /** KMS asymmetric (ECC) Sign, per 10,000 requests: one per publishing invocation. */
  kmsSignPer10k: 0.15,
} as const;

const GB = 1024 ** 3;

/** Runs per month of a `rate(N minutes|hours|days)` schedule; a cron counts as hourly. Pure. */
export function runsPerMonth(schedule: string, days: number = ASSUMPTIONS.daysPerMonth): number {
  const m = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  const minutes = m ? Number(m[1]) * { minute: 1, hour: 60, day: 1440 }[m[2] as 'minute' | 'hour' | 'day'] : 60;
  return Math.round((days * 1440) / minutes);
}

interface Mode {
  records: number;
  bytes: number;
  /** EventBridge chunks: one per record under 64 KB. */
  chunks: number;
  firehoseBytes: number;
}

/** Records and bytes per deployment (account × region) and month, in one mode. Pure. */
function perDeployment(volumes: readonly GuardrailVolume[], heartbeatBytes: number, mode: 'summary' | 'all'): Mode {
  let records = 0;
  let bytes = 0;
  let firehoseBytes = 0;
  const add = (n: number, size: number) => {
    records += n;
    bytes += n * size;
    firehoseBytes += n * Math.ceil(size / PRICES.firehoseRecordBytes) * PRICES.firehoseRecordBytes;
  };
  for (const v of volumes) {
    const sweeps = runsPerMonth(v.schedule);
    const resources = ASSUMPTIONS.resources[v.guardrail] ?? 1;
    // Summary: what the measured steady sweep published (the summary, and ignored results in full).
    const published = v.steadySweep.summary;
    if (mode === 'summary') add(sweeps * published.records, published.bytes / Math.max(1, published.records));
    else add(sweeps * resources, v.bytes.compliant);
  }
  const changed = volumes.map((v) => v.bytes.remediated).filter((b) => b > 0);
  add(ASSUMPTIONS.changesPerDeploymentMonth, Math.max(...changed, 0));
  add(runsPerMonth(`rate(${ASSUMPTIONS.heartbeatMinutes} minutes)`), heartbeatBytes);
  return { records, bytes, chunks: records, firehoseBytes };
}

export interface CostLine {
  item: string;
  summary: { quantity: string; usd: number };
  all: { quantity: string; usd: number };
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
const usd = (n: number) => Math.round(n * 100) / 100;

/** The organization's month, both modes side by side. Pure. */
export function monthlyVolume(volumes: readonly GuardrailVolume[], heartbeatBytes: number) {
  const deployments = ASSUMPTIONS.accounts * ASSUMPTIONS.regions;
  const publishes =
    deployments *
    (volumes.reduce((n, v) => n + runsPerMonth(v.schedule), 0) +
      ASSUMPTIONS.changesPerDeploymentMonth +
      runsPerMonth(`rate(${ASSUMPTIONS.heartbeatMinutes} minutes)`));
  const modes = {
    summary: perDeployment(volumes, heartbeatBytes, 'summary'),
    all: perDeployment(volumes, heartbeatBytes, 'all'),
  };
  const line = (item: string, f: (m: Mode) => [string, number]): CostLine => {
    const [sq, su] = f(modes.summary);
    const [aq, au] = f(modes.all);
    return { item, summary: { quantity: sq, usd: usd(su) }, all: { quantity: aq, usd: usd(au) } };
  };
  const gb = (m: Mode) => (m.bytes * deployments) / GB;
  const lines: CostLine[] = [
    line('records on the central bus (EventBridge PutEvents)', (m) => [
      `${fmt((m.records * deployments) / 1e6)} M`,
      ((m.chunks * deployments) / 1e6) * PRICES.eventBridgePerMillion,
    ]),
    line('bytes (signed, with envelope)', (m) => [`${fmt(gb(m))} GB`, 0]),
    line('CloudWatch Logs ingestion', (m) => [`${fmt(gb(m))} GB`, gb(m) * PRICES.logsIngestPerGb]),
    line('Kinesis (on demand: data + one stream)', (m) => [
      `${fmt(gb(m))} GB`,
      gb(m) * PRICES.kinesisPerGb + PRICES.kinesisStreamHour * 24 * ASSUMPTIONS.daysPerMonth,
    ]),
    line('Firehose to the archive (5 KB per record minimum)', (m) => {
      const billed = (m.firehoseBytes * deployments) / GB;
      return [`${fmt(billed)} GB billed`, billed * PRICES.firehosePerGb];
    }),
    line('S3 archive storage (one month of records)', (m) => [`${fmt(gb(m))} GB`, gb(m) * PRICES.s3PerGbMonth]),
    line('KMS Sign (one per publishing invocation)', () => [
      `${fmt(publishes / 1e6)} M`,
      (publishes / 10_000) * PRICES.kmsSignPer10k,
    ]),
  ];
  const total = (k: 'summary' | 'all') => usd(lines.reduce((n, l) => n + l[k].usd, 0));
  return {
    deployments,
    assumptions: ASSUMPTIONS,
    prices: PRICES,
    signsPerSecond: Math.round((publishes / (ASSUMPTIONS.daysPerMonth * 86400)) * 10) / 10,
    lines,
    total: { summary: total('summary'), all: total('all') },
  };
}

type VolumeResult = {
  error?: string;
  guardrails?: GuardrailVolume[];
  heartbeatBytes?: number;
  model?: ReturnType<typeof monthlyVolume>;
};

/** The bench report's section: measured sizes, then the organization's month in both modes. Pure. */
export function volumeLines(result: unknown): string[] {
  const r = result as VolumeResult | undefined;
  const head = ['## Audit volume and cost for 1,000 accounts × 4 regions (bench/volume.ts)', ''];
  if (!r?.model || !r.guardrails) return [...head, `Not measured: ${r?.error ?? 'no result'}.`, ''];
  const m = r.model;
  const a = m.assumptions;
  return [
    ...head,
    'Measured on the emulator: each record signed (KMS on moto) and in its EventBridge envelope, as the sinks store it.',
    '',
    '| guardrail | default sweep | remediated record | compliant record | summary record | steady sweep publishes (summary / all) |',
    '|---|---|---:|---:|---:|---|',
    ...r.guardrails.map(
      (g) =>
        `| ${g.guardrail} | ${g.schedule} | ${g.bytes.remediated ? `${g.bytes.remediated} B` : '—'} | ${g.bytes.compliant} B | ${g.bytes.summaryRecord} B | ${g.steadySweep.summary.records} rec, ${g.steadySweep.summary.bytes} B / ${g.steadySweep.all.records} rec, ${g.steadySweep.all.bytes} B (${g.steadyOutcomes}) |`,
    ),
    `| heartbeat | every ${a.heartbeatMinutes} minutes | | ${r.heartbeatBytes} B | | |`,
    '',
    `Per month for ${m.deployments.toLocaleString('en-US')} deployments (${a.accounts} accounts × ${a.regions} regions); resources per account and region: ${Object.entries(
      a.resources,
    )
      .map(([g, n]) => `${g} ${n}`)
      .join(
        ', ',
      )} (others 1); ${a.changesPerDeploymentMonth} changed or non-compliant results per deployment, each in full; us-east-1 list prices in bench/volume-model.ts.`,
    '',
    '| item | `sweepRecords: summary` (default) | USD | `sweepRecords: all` | USD |',
    '|---|---:|---:|---:|---:|',
    ...m.lines.map((l) => `| ${l.item} | ${l.summary.quantity} | ${l.summary.usd} | ${l.all.quantity} | ${l.all.usd} |`),
    `| **total** | | **${m.total.summary}** | | **${m.total.all}** |`,
    '',
    `KMS Sign runs once per publishing invocation whatever the record count, so it follows the sweep and heartbeat schedules, not the resources: ${m.signsPerSecond} Sign/s on average on the central key.`,
    '',
  ];
}
