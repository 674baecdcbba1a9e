import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeKubeProtobuf } from '../../../src/apiServer/protobuf/decode';

interface Recorded {
  command: string;
  protobufHex: string;
  json: Record<string, unknown>;
}

const recorded = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'kubectlCreateBodies.json'), 'utf8')) as {
  bodies: Recorded[];
};

describe('bodies recorded from real kubectl: protobuf (1.32/1.33) decodes to exactly the JSON kubectl 1.31 sends', () => {
  test.each(recorded.bodies.map((b) => [b.command, b] as const))('%s', (_command, b) => {
    const decoded = decodeKubeProtobuf(Buffer.from(b.protobufHex, 'hex'));
    expect(decoded.object).toStrictEqual(b.json);
    // encoding/json's field order too, so the decoded body is the same JSON text.
    expect(JSON.stringify(decoded.object)).toBe(JSON.stringify(b.json));
  });
});
