// The official Node clients of Alibaba Cloud against a reference gateway:
// @alicloud/openapi-client (RPC and ROA signed with HMAC-SHA1, "v2", and V3
// ACS3-HMAC-SHA256, its default) and @alicloud/pop-core (RPC). Each call is
// made once with the right secret and once with a wrong one. One JSON line
// per call goes to stdout: {"name", "ok", "status", "code", "body"}; the Go
// test (gateway/node_test.go) decides what each must be.
//
// Usage: node clients.js http://127.0.0.1:PORT ACCESS_KEY_ID
// The secret comes from the environment (ACSHARNESS_NODE_SECRET), never
// from the command line.
'use strict';

const OpenApi = require('@alicloud/openapi-client');
const { RPCClient } = require('@alicloud/pop-core');

const [target, accessKeyId] = process.argv.slice(2);
const secret = process.env.ACSHARNESS_NODE_SECRET;
if (!target || !accessKeyId || !secret) {
  console.error('usage: ACSHARNESS_NODE_SECRET=... node clients.js http://127.0.0.1:PORT ACCESS_KEY_ID');
  process.exit(2);
}
const endpoint = new URL(target).host;
const timeout = 5000;

function openapi(key) {
  return (signatureAlgorithm) => new OpenApi.default(new OpenApi.Config({
    accessKeyId, accessKeySecret: key, endpoint, protocol: 'http', regionId: 'cn-hangzhou',
    signatureAlgorithm, readTimeout: timeout, connectTimeout: timeout,
  }));
}

function params(action, version, method, pathname, style) {
  return new OpenApi.Params({
    action, version, protocol: 'HTTP', pathname, method, authType: 'AK', style,
    reqBodyType: style === 'RPC' ? 'formData' : 'json', bodyType: 'json',
  });
}

// The calls, each a function of a secret. The vhost holds a slash and a
// space, so that its path parameter travels escaped (pop-spec §3.2, §9 F9);
// GetAppEnv sends an empty query value, which the TypeScript client signs
// "env=" (pop-spec §2.2, §9 F8).
const vhost = 'node/x y';
const calls = {
  'openapi-client/rpc': (key) => openapi(key)('v2').callApi(
    params('ListInstances', '2019-12-12', 'GET', '/', 'RPC'),
    new OpenApi.OpenApiRequest({ query: { MaxResults: '2', Note: 'a b*c~d' } }), {}),
  'openapi-client/rpc-form': (key) => openapi(key)('v2').callApi(
    params('SendMessage', '2020-04-20', 'POST', '/', 'RPC'),
    new OpenApi.OpenApiRequest({ query: { InstanceId: 'mqtt-cn-node' }, body: { MqttTopic: 't/a', Payload: 'hello 世界 a+b' } }), {}),
  'openapi-client/roa': (key) => openapi(key)('v2').callApi(
    params('GetAppEnv', '2019-12-11', 'GET', '/pop/v1/wam/appEnv', 'ROA'),
    new OpenApi.OpenApiRequest({ query: { appName: 'my app', env: '', tag: '中文/a+b' } }), {}),
  'openapi-client/roa-create-vhost': (key) => openapi(key)('v2').callApi(
    params('CreateVirtualHost', '2019-12-12', 'POST', '/instances/amqp-cn-node/vhosts', 'ROA'),
    new OpenApi.OpenApiRequest({ body: { VirtualHost: vhost } }), {}),
  'openapi-client/roa-delete-vhost': (key) => openapi(key)('v2').callApi(
    params('DeleteVirtualHost', '2019-12-12', 'DELETE', '/instances/amqp-cn-node/vhosts/' + encodeURIComponent(vhost), 'ROA'),
    new OpenApi.OpenApiRequest({}), {}),
  'openapi-client/v3-rpc': (key) => openapi(key)(undefined).callApi(
    params('ListInstances', '2019-12-12', 'GET', '/', 'RPC'),
    new OpenApi.OpenApiRequest({ query: { MaxResults: '2', Note: 'a b*c~d' } }), {}),
  'openapi-client/v3-roa': (key) => openapi(key)(undefined).callApi(
    params('GetAppEnv', '2019-12-11', 'GET', '/pop/v1/wam/appEnv', 'ROA'),
    new OpenApi.OpenApiRequest({ query: { appName: 'my app', env: '', tag: '中文/a+b' } }), {}),
  'openapi-client/v3-create-vhost': (key) => openapi(key)(undefined).callApi(
    params('CreateVirtualHost', '2019-12-12', 'POST', '/instances/amqp-cn-node-v3/vhosts', 'ROA'),
    new OpenApi.OpenApiRequest({ body: { VirtualHost: vhost } }), {}),
  'openapi-client/v3-delete-vhost': (key) => openapi(key)(undefined).callApi(
    params('DeleteVirtualHost', '2019-12-12', 'DELETE', '/instances/amqp-cn-node-v3/vhosts/' + encodeURIComponent(vhost), 'ROA'),
    new OpenApi.OpenApiRequest({}), {}),
  'pop-core/rpc': (key) => new RPCClient({
    accessKeyId, accessKeySecret: key, endpoint: target, apiVersion: '2019-12-12', opts: { timeout },
  }).request('ListInstances', { MaxResults: 2, Note: 'a b*c~d' }, { method: 'GET', timeout }),
  'pop-core/rpc-post': (key) => new RPCClient({
    accessKeyId, accessKeySecret: key, endpoint: target, apiVersion: '2020-04-20', opts: { timeout },
  }).request('SendMessage', { InstanceId: 'mqtt-cn-node', MqttTopic: 't/a', Payload: 'hello 世界 a+b' }, { method: 'POST', timeout }),
};

function outcome(name, res, err) {
  if (!err) {
    const body = res && res.body !== undefined ? res.body : res;
    return { name, ok: true, status: (res && res.statusCode) || 200, code: '', body: JSON.stringify(body) };
  }
  // openapi-client throws a Tea error with statusCode and code; pop-core an
  // Error with code (the gateway's Code) and the response in entry.
  const status = err.statusCode || (err.data && err.data.statusCode) ||
    (err.entry && err.entry.response && err.entry.response.statusCode) || 0;
  const code = err.code || (err.data && err.data.Code) || '';
  return { name, ok: false, status, code: String(code), body: String(err.message || err).slice(0, 600) };
}

(async () => {
  for (const [name, call] of Object.entries(calls)) {
    for (const [suffix, key] of [['', secret], ['/wrong-secret', secret + '-wrong']]) {
      let line;
      try {
        line = outcome(name + suffix, await call(key));
      } catch (err) {
        line = outcome(name + suffix, null, err);
      }
      process.stdout.write(JSON.stringify(line) + '\n');
    }
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
