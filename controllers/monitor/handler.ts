import { createHeartbeatMonitorHandler } from './index.js';

/** Lambda entry point of the central heartbeat monitor. */
export const handler = createHeartbeatMonitorHandler();
