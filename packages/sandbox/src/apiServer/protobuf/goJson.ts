/**
 * Turns a decoded Kubernetes protobuf message into the JSON that the same Go object would have been
 * sent as. Go's protobuf marshallers write every non-pointer field, zero or not, while its JSON encoder
 * leaves out `omitempty` fields that are empty; which fields are which comes from the Go types
 * themselves (goFields.json), so zero values the client never set disappear and meaningful zeros behind
 * pointers (replicas: 0, maxUnavailable: 0, runAsUser: 0, EndpointSlice conditions, …) stay.
 */
import { MapField, Type, type Field } from 'protobufjs';
import { goFieldTable, type GoField } from './kubeProtos';
import { ownJsonConverter, type EmbeddedDecoder, type PlainMessage } from './ownJsonTypes';

/** What Go holds for an absent pointer, slice or map: nil. */
const NIL = Symbol('nil');

function isPlain(v: unknown): v is PlainMessage {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v);
}

function nameOf(type: Type): string {
  return type.fullName.replace(/^\./, '');
}

export class GoJsonConverter {
  private readonly table = goFieldTable();
  private readonly listTypes = new Set(this.table.listTypes);

  constructor(private readonly embedded: EmbeddedDecoder) {}

  /** The JSON value of a decoded message: an object, or what a type that writes its own JSON writes. */
  message(type: Type, m: PlainMessage): unknown {
    const name = nameOf(type);
    const own = ownJsonConverter(name);
    if (own) return own(m, this.embedded);
    if (this.listTypes.has(name)) {
      const list = this.list(type, m);
      return list === NIL ? null : list;
    }
    const fields = this.table.messages[name];
    if (!fields) throw new Error(`goFields.json has no entry for ${name}; rerun scripts/vendorProtos.mjs`);
    const out: Record<string, unknown> = {};
    for (const goField of fields) {
      const field = type.fieldsById[goField.number];
      if (!field)
        throw new Error(`${name} has no protobuf field ${goField.number}; goFields.json and the .proto files disagree`);
      const raw = Object.prototype.hasOwnProperty.call(m, field.name) ? m[field.name] : undefined;
      this.write(out, field, goField, raw ?? NIL);
    }
    return out;
  }

  private write(out: Record<string, unknown>, field: Field, go: GoField, raw: unknown): void {
    if (go.inline) {
      if (raw === NIL && go.pointer) return;
      const inner = this.message(field.resolvedType as Type, isPlain(raw) ? raw : {});
      if (isPlain(inner)) Object.assign(out, inner);
      return;
    }
    const name = go.json ?? field.name;
    const value = this.value(field, go, raw);
    if (value === NIL) {
      // encoding/json: a nil pointer, slice or map is left out when omitempty, else written as null.
      if (!go.omitempty) out[name] = null;
      return;
    }
    if (go.omitempty && !go.pointer && this.isEmpty(value, field)) return;
    out[name] = value;
  }

  /** encoding/json's idea of empty, for `omitempty`; a struct is never empty, even one written as null or 0. */
  private isEmpty(v: unknown, field: Field): boolean {
    if (this.isStruct(field)) return false;
    return v === false || v === 0 || v === '';
  }

  private isStruct(field: Field): boolean {
    return (
      field.resolvedType instanceof Type &&
      !field.repeated &&
      !(field instanceof MapField) &&
      !this.listTypes.has(nameOf(field.resolvedType))
    );
  }

  /** The JSON value of a field, or NIL. */
  private value(field: Field, go: GoField, raw: unknown): unknown {
    if (field instanceof MapField) {
      if (!isPlain(raw) || Object.keys(raw).length === 0) return NIL;
      const out: Record<string, unknown> = {};
      // encoding/json writes map keys sorted.
      for (const k of Object.keys(raw).sort()) out[k] = this.single(field, raw[k]);
      return out;
    }
    if (field.repeated) {
      if (!Array.isArray(raw) || raw.length === 0) return NIL;
      return raw.map((v) => this.single(field, v));
    }
    const type = field.resolvedType;
    if (type instanceof Type && this.listTypes.has(nameOf(type))) return this.list(type, isPlain(raw) ? raw : {});
    if (raw === NIL) {
      if (go.pointer) return NIL;
      if (type instanceof Type) return this.message(type, {});
      // A nil []byte, or a non-pointer scalar's zero value.
      return field.type === 'bytes' ? NIL : field.type === 'string' ? '' : field.type === 'bool' ? false : 0;
    }
    return this.single(field, raw);
  }

  /** A Go slice type's elements (its message's field 1), or NIL when there are none. */
  private list(type: Type, m: PlainMessage): unknown[] | typeof NIL {
    const items = type.fieldsById[1];
    const raw = items ? m[items.name] : undefined;
    if (!items || !Array.isArray(raw) || raw.length === 0) return NIL;
    return raw.map((v) => this.single(items, v));
  }

  private single(field: Field, v: unknown): unknown {
    if (field.resolvedType instanceof Type) return this.message(field.resolvedType, isPlain(v) ? v : {});
    if (field.type === 'bytes') return Buffer.from(v as Uint8Array).toString('base64');
    return v;
  }
}
