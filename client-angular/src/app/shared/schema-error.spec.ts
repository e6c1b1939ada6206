import { roomNameSchema, usernameSchema } from '@parley/contracts';
import { schemaError } from './schema-error';

describe('schemaError', () => {
  it('is null for a valid value', () => {
    expect(schemaError(usernameSchema, 'ada_lovelace')).toBeNull();
    expect(schemaError(roomNameSchema, 'Phòng họp')).toBeNull();
  });

  it("gives the contract schema's first message for an invalid value", () => {
    expect(schemaError(usernameSchema, 'ab')).toBe('Between 3 and 32 characters');
    expect(schemaError(roomNameSchema, 'a/b')).toBe('Only letters, digits, -, _ and .');
  });
});
