#!/usr/bin/env node
import { Command } from 'commander';
import { nodeCommand } from './node-command.js';
import { downCommand, upCommand } from './cluster-commands.js';
import { collectorCommand } from './collector-command.js';
import { sqlCommand } from './sql-command.js';
import { loadgenCommand } from './loadgen-command.js';
import { proxyCommand } from './proxy-command.js';
import { controllerCommand } from './controller-command.js';
import { eventCommand } from './event-command.js';
import { runCommand } from './run-command.js';
import { patchCommand } from './patch-command.js';
import { captureCommand } from './capture-command.js';
import { checkCommand } from './check-command.js';
import { migrationTableCommand } from './migration-command.js';

/**
 * kvnetlab: one binary, one subcommand per process kind.
 *   node  - a cluster node          up/down - a local cluster
 *   collector - owns the chDB telemetry store   sql - ad-hoc SQL on the store
 *   proxy - one node's measuring proxy   capture - libpcap counts of the same traffic
 *   check - proxy vs capture of a run
 *   run - a scenario: clusters, events, the report
 */
const program = new Command('kvnetlab')
  .description('measure what maintenance events cost on the network of an in-memory KV cluster')
  .showHelpAfterError()
  .addCommand(nodeCommand)
  .addCommand(upCommand)
  .addCommand(downCommand)
  .addCommand(collectorCommand)
  .addCommand(sqlCommand)
  .addCommand(loadgenCommand)
  .addCommand(proxyCommand)
  .addCommand(controllerCommand)
  .addCommand(eventCommand)
  .addCommand(patchCommand)
  .addCommand(captureCommand)
  .addCommand(checkCommand)
  .addCommand(runCommand)
  .addCommand(migrationTableCommand);

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`kvnetlab: ${e.message}\n`);
  process.exit(1);
});
