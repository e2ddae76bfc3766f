#!/usr/bin/env node
import { buildDemoApp } from './demo';

const services = process.env.DEMO_SERVICES ? Number(process.env.DEMO_SERVICES) : undefined;
buildDemoApp({ services }).app.synth();
