/**
 * CockroachDB enterprise licenses: `crl-0-` + unpadded base64 of a protobuf `License` message
 * (valid_until_unix_sec = 2, type = 3, organization_name = 4, environment = 5, license_id = 6,
 * organization_id = 7; ids are 16-byte UUIDs), decoded locally with protobufjs' reader.
 */
import protobuf from 'protobufjs/minimal.js';

export const LICENSE_PREFIX = 'crl-0-';

export interface License {
  readonly validUntilUnixSec: number;
  readonly type: string;
  /** The original's numeric encoding: 0 unknown/none, 1 Enterprise, 2 Evaluation, 3 Free, 4 Trial, 5 NonCommercial. */
  readonly typeValue: number;
  readonly organizationName: string;
  readonly environment: string;
  readonly licenseId: string;
  readonly organizationId: string;
}

const TYPES: Record<number, [string, number]> = {
  0: ['NonCommercial', 5],
  1: ['Enterprise', 1],
  2: ['Evaluation', 2],
  3: ['Free', 3],
  4: ['Trial', 4],
};
const ENVIRONMENTS: Record<number, string> = {
  0: '',
  1: 'production',
  2: 'pre-production',
  3: 'development',
};

function uuid(bytes: Uint8Array, field: string): string {
  if (bytes.length === 0) return '';
  if (bytes.length !== 16) throw new Error(`license ${field} is ${bytes.length} bytes, not a 16-byte UUID`);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const MAX_INT64 = 2n ** 63n - 1n;
const MAX_INT32 = 2n ** 31n - 1n;

/**
 * A varint as Go's protowire.ConsumeVarint reads it: an unsigned 64-bit value, at most 10 bytes,
 * the 10th no more than 1. protobufjs' own readers wrap what does not fit, which is what let
 * overflowing values through.
 */
function readUint64(reader: protobuf.Reader, field: string): bigint {
  let value = 0n;
  for (let i = 0; i < 10; i += 1) {
    if (reader.pos >= reader.len) throw new Error(`license ${field} field is cut short`);
    const byte = reader.buf[reader.pos++] as number;
    if (i === 9 && byte > 1) throw new Error(`license ${field} field overflows 64 bits`);
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return value;
  }
  throw new Error(`license ${field} field overflows 64 bits`);
}

/** A varint field at most `max`, as the original checks valid_until, type and environment. */
function readBounded(reader: protobuf.Reader, field: string, max: bigint): number {
  const value = readUint64(reader, field);
  if (value > max) throw new Error(`license ${field} field overflow`);
  return Number(value);
}

/** Decodes a license string; undefined for an empty one (no license installed). Errors never quote the license. */
export function decodeLicense(text: string): License | undefined {
  if (text === '') return undefined;
  if (!text.startsWith(LICENSE_PREFIX))
    throw new Error(`the license does not start with "${LICENSE_PREFIX}"`);
  const payload = text.slice(LICENSE_PREFIX.length);
  // Unpadded standard base64, as the original's base64.RawStdEncoding reads it.
  if (!/^[A-Za-z0-9+/]*$/.test(payload) || payload.length % 4 === 1)
    throw new Error('the license payload is not unpadded base64');
  const reader = protobuf.Reader.create(Buffer.from(payload, 'base64'));
  let validUntil = 0;
  let type = 0;
  let organizationName = '';
  let environment = 0;
  let licenseId = '';
  let organizationId = '';
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const wire = tag & 7;
      const expect = (wanted: number, name: string) => {
        if (wire !== wanted) throw new Error(`license field ${name} has wire type ${wire}`);
      };
      switch (tag >>> 3) {
        case 2:
          expect(0, 'valid_until_unix_sec');
          validUntil = readBounded(reader, 'valid_until', MAX_INT64);
          break;
        case 3:
          expect(0, 'type');
          type = readBounded(reader, 'type', MAX_INT32);
          break;
        case 4:
          expect(2, 'organization_name');
          organizationName = reader.string();
          break;
        case 5:
          expect(0, 'environment');
          environment = readBounded(reader, 'environment', MAX_INT32);
          break;
        case 6:
          expect(2, 'license_id');
          licenseId = uuid(reader.bytes(), 'license_id');
          break;
        case 7:
          expect(2, 'organization_id');
          organizationId = uuid(reader.bytes(), 'organization_id');
          break;
        default:
          reader.skipType(wire);
      }
    }
  } catch (error) {
    throw new Error(`the license is not a valid License message: ${(error as Error).message}`);
  }
  const [typeName, typeValue] = TYPES[type] ?? ['Unknown', 0];
  return {
    validUntilUnixSec: validUntil,
    type: typeName,
    typeValue,
    organizationName,
    environment: ENVIRONMENTS[environment] ?? 'other',
    licenseId,
    organizationId,
  };
}
