import { startWebApp, uniqueName, type WebApp } from '../../test/support/web-app';

let app: WebApp;
beforeAll(async () => {
  app = await startWebApp();
});
afterAll(() => app.close());

test('when a person registers, then they can create a room and post to it', async () => {
  const username = uniqueName('u');
  const register = await fetch(`${app.url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${username}@example.org`, username, password: 'password1' }),
  });
  expect(register.status).toBe(201);
  const cookie = register.headers.get('set-cookie')!.split(';')[0]!;
  const created = await fetch(`${app.url}/api/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: uniqueName('Room') }),
  });
  expect(created.status).toBe(201);
});
