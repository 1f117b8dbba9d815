import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const GENERATOR = join(__dirname, '../scripts/generate.mjs');
const GENERATED = join(__dirname, 'protocol.generated.ts');

describe('libs/protocol', () => {
  it('is what the generator makes of docs/asyncapi.yaml today (run npm run generate:protocol)', () => {
    const fresh = execFileSync(process.execPath, [GENERATOR, '--stdout'], { encoding: 'utf8' });
    expect(readFileSync(GENERATED, 'utf8')).toEqual(fresh);
  });
});
