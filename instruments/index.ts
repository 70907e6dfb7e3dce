/**
 * The one list of instruments. Adding an instrument means adding its definition here and nothing
 * else in the framework.
 */
import type { InstrumentDefinition } from '../lib/instrument.js';
import { cloudbalance } from './cloudbalance/cloudbalance.js';
import { cockroachlicense } from './cockroachlicense/cockroachlicense.js';
import { crds } from './crds/crds.js';
import { database } from './database/database.js';
import { domain } from './domain/domain.js';
import { imagepull } from './imagepull/imagepull.js';
import { lvm } from './lvm/lvm.js';
import { node } from './node/node.js';
import { pod } from './pod/pod.js';
import { registryproxy } from './registryproxy/registryproxy.js';
import { userbalance } from './userbalance/userbalance.js';
import { zombie } from './zombie/zombie.js';

export const instruments: readonly InstrumentDefinition[] = [
  cloudbalance,
  cockroachlicense,
  crds,
  database,
  domain,
  imagepull,
  lvm,
  node,
  pod,
  registryproxy,
  userbalance,
  zombie,
];

export function findInstrument(name: string): InstrumentDefinition | undefined {
  return instruments.find((definition) => definition.name === name);
}
