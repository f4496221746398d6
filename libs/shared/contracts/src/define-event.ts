import { z } from 'zod';
import { newId } from '@strongbox/shared-domain';
import { CLOUDEVENTS_SPEC_VERSION, cloudEventEnvelopeSchema, EVENT_SIZE_BYTES_MAX, EVENT_TYPE_PATTERN, type CloudEvent } from './envelope';
import { ContractError, ContractErrorCodes } from './errors';
import { Contexts, type Context } from './naming';

/** Everything that describes one versioned event type, for code and for the generated docs. */
export interface EventDefinition<TSchema extends z.ZodType = z.ZodType> {
  readonly context: Context;
  readonly aggregate: string;
  /** Past tense: `registered`, `opened`. */
  readonly name: string;
  readonly version: number;
  /** `<context>.evt.<aggregate>.<name>.v<version>`; also the subject after the namespace. */
  readonly type: string;
  readonly dataschema: string;
  readonly description: string;
  readonly schema: TSchema;
  /** Builds a valid event; throws ContractError when the envelope attributes or `data` break the contract. */
  create(input: CreateEventInput<z.input<TSchema>>): CloudEvent<z.output<TSchema>>;
  /** Validates an envelope and its data; throws ContractError naming every problem. */
  parse(event: unknown): CloudEvent<z.output<TSchema>>;
}

export interface CreateEventInput<TData> {
  data: TData;
  /** `strongbox/<service>`. */
  source: string;
  subject?: string;
  /** Defaults to a new UUIDv7; pass one to derive ids from a natural key (re-publish = duplicate). */
  id?: string;
  time?: Date;
}

/** Maximum length of a schema problem list in an error message. */
const ISSUES_MAX = 20;

/** Aggregate and event names: lower-case words joined by `-` (`status-changed`). */
const NAME_PART_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** Highest version number a type may carry; matches the digits EVENT_TYPE_PATTERN allows. */
const EVENT_VERSION_MAX = 999_999;

function describeIssues(error: z.ZodError): string[] {
  // Paths may hold symbols, which Array#join cannot convert; String() can.
  const issues = error.issues.slice(0, ISSUES_MAX).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  if (error.issues.length > ISSUES_MAX) issues.push(`… and ${error.issues.length - ISSUES_MAX} more`);
  return issues;
}

function definitionProblems(spec: { context: string; aggregate: string; name: string; version: number; description: string }): string[] {
  const problems: string[] = [];
  if (!Object.values<string>(Contexts).includes(spec.context)) problems.push(`context "${spec.context}" is not one of ${Object.values(Contexts).join(', ')}`);
  if (!NAME_PART_PATTERN.test(spec.aggregate)) problems.push(`aggregate "${spec.aggregate}" must match ${NAME_PART_PATTERN.source}`);
  if (!NAME_PART_PATTERN.test(spec.name)) problems.push(`name "${spec.name}" must match ${NAME_PART_PATTERN.source}`);
  if (!Number.isInteger(spec.version) || spec.version < 1 || spec.version > EVENT_VERSION_MAX) {
    problems.push(`version must be an integer from 1 to ${EVENT_VERSION_MAX}, got ${spec.version}`);
  }
  if (spec.description.trim().length === 0) problems.push('description is empty');
  return problems;
}

/**
 * Declares a versioned event type. The name parts are checked at definition, so a malformed type
 * fails at module load (ContractError CONTRACTS_ERR_INVALID_DEFINITION) instead of on the bus.
 *
 * @example
 * export const userRegisteredV1 = defineEvent({
 *   context: 'bot', aggregate: 'user', name: 'registered', version: 1,
 *   description: 'A Telegram user started the bot for the first time.',
 *   schema: z.object({ userId: z.uuid() }),
 * });
 */
export function defineEvent<TSchema extends z.ZodType>(spec: {
  context: Context;
  aggregate: string;
  name: string;
  version: number;
  description: string;
  schema: TSchema;
}): EventDefinition<TSchema> {
  const type = `${spec.context}.evt.${spec.aggregate}.${spec.name}.v${spec.version}`;
  const problems = definitionProblems(spec);
  if (problems.length === 0 && !EVENT_TYPE_PATTERN.test(type)) problems.push(`type "${type}" must match ${EVENT_TYPE_PATTERN.source}`);
  if (problems.length > 0) {
    throw new ContractError(ContractErrorCodes.invalidDefinition, `invalid event definition ${type}`, problems);
  }
  const dataschema = `urn:strongbox:schema:${spec.context}.evt.${spec.aggregate}.${spec.name}:v${spec.version}`;

  function parseData(data: unknown): z.output<TSchema> {
    const result = spec.schema.safeParse(data);
    if (!result.success) {
      throw new ContractError(ContractErrorCodes.invalidData, `invalid data for ${type}`, describeIssues(result.error));
    }
    return result.data;
  }

  return {
    ...spec,
    type,
    dataschema,
    create(input) {
      // An invalid Date would make toISOString throw a bare RangeError; report it as a contract problem.
      const time = input.time ?? new Date();
      if (!(time instanceof Date) || Number.isNaN(time.getTime())) {
        throw new ContractError(ContractErrorCodes.invalidEnvelope, `invalid envelope for ${type}`, ['time: not a valid date']);
      }
      const event: CloudEvent<z.output<TSchema>> = {
        specversion: CLOUDEVENTS_SPEC_VERSION,
        id: input.id ?? newId(),
        source: input.source,
        type,
        time: time.toISOString(),
        ...(input.subject === undefined ? {} : { subject: input.subject }),
        datacontenttype: 'application/json',
        dataschema,
        data: parseData(input.data),
      };
      // The producer is held to the same envelope rules as every consumer, so whatever create
      // returns, parse accepts.
      const envelope = cloudEventEnvelopeSchema.safeParse(event);
      if (!envelope.success) {
        throw new ContractError(ContractErrorCodes.invalidEnvelope, `invalid envelope for ${type}`, describeIssues(envelope.error));
      }
      const sizeBytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
      if (sizeBytes > EVENT_SIZE_BYTES_MAX) {
        throw new ContractError(ContractErrorCodes.eventTooLarge, `${type} event is ${sizeBytes} bytes; the maximum is ${EVENT_SIZE_BYTES_MAX}`);
      }
      return event;
    },
    parse(event) {
      const envelope = cloudEventEnvelopeSchema.safeParse(event);
      if (!envelope.success) {
        throw new ContractError(ContractErrorCodes.invalidEnvelope, 'invalid CloudEvents envelope', describeIssues(envelope.error));
      }
      if (envelope.data.type !== type) {
        throw new ContractError(ContractErrorCodes.unknownType, `expected type ${type}, got ${envelope.data.type}`);
      }
      // The type pins the schema version; an event that claims another schema is not this contract.
      if (envelope.data.dataschema !== dataschema) {
        throw new ContractError(ContractErrorCodes.invalidEnvelope, 'invalid CloudEvents envelope', [
          `dataschema: expected ${dataschema}, got ${envelope.data.dataschema}`,
        ]);
      }
      return { ...envelope.data, datacontenttype: 'application/json', data: parseData(envelope.data.data) } as CloudEvent<z.output<TSchema>>;
    },
  };
}
