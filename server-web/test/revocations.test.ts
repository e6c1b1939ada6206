import { startDatabaseProxy, type TcpProxy } from '../../test/support/tcp-proxy';
import { startWebApp, type WebApp } from '../../test/support/web-app';
import { bearer, eventually, getMe, postJson, register } from './support';

// Each website node holds the revoked tokens in memory and follows new revocations through
// their events; these tests run several nodes on one database.
describe('a logout on one website node', () => {
  const nodes: WebApp[] = [];
  const startNode = async (env: Record<string, string> = {}) => {
    const node = await startWebApp(env);
    nodes.push(node);
    return node;
  };
  const meStatus = async (node: WebApp, token: string) => (await getMe(node, bearer(token))).status;
  const logout = (node: WebApp, token: string) =>
    postJson(node, '/api/auth/logout', {}, bearer(token));

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.close()));
  });

  test('when the token is revoked on one node, then a running node refuses it within a second and a node started later refuses it too', async () => {
    const [first, second] = await Promise.all([startNode(), startNode()]);
    const { token } = await register(first);
    expect(await meStatus(second, token)).toBe(200);

    expect((await logout(first, token)).status).toBe(204);

    expect(await meStatus(first, token)).toBe(401);
    await eventually(
      () => meStatus(second, token),
      (status) => status === 401,
      1_000,
    );
    expect(await meStatus(await startNode(), token)).toBe(401);
  });

  describe('while another node has lost its database connection', () => {
    let proxy: TcpProxy;
    let databaseUrl: string;
    beforeAll(async () => {
      ({ proxy, databaseUrl } = await startDatabaseProxy());
    });
    afterAll(() => proxy.close());

    test('when the connection is back, then that node refuses the token revoked meanwhile', async () => {
      const direct = await startNode();
      const cutOff = await startNode({ DATABASE_URL: databaseUrl });
      const { token } = await register(direct);
      // Signed in on both; the cut-off node has read the stored revocations and follows events.
      await eventually(
        () => meStatus(cutOff, token),
        (status) => status === 200,
      );

      await proxy.cut();
      expect((await logout(direct, token)).status).toBe(204);
      // Meanwhile that node answers 503: it cannot reach the database.
      expect(await meStatus(cutOff, token)).toBe(503);
      await proxy.restore();

      await eventually(
        () => meStatus(cutOff, token),
        (status) => status !== 503,
      );
      expect(await meStatus(cutOff, token)).toBe(401);
    });
  });
});
