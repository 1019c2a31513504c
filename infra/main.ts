import { buildApp } from './app.js';

// `npx cdk synth` runs this (cdk.json). Offline: no credentials, no lookups.
(await buildApp()).app.synth();
