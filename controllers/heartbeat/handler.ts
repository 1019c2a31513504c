import { createHeartbeatHandler } from './index.js';

/** Lambda entry point of the heartbeat. */
export const handler = createHeartbeatHandler();
