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
//
// node clients.js --sts VECTORS.json prints instead, for each ROA case that
// signs an empty value as "k=", the string to sign that @alicloud/openapi-util
// and @alicloud/pop-core build from the case's request: one JSON line
// {"name", "client", "sts"} per case and client.
'use strict';

const fs = require('fs');
const Module = require('module');
const OpenApi = require('@alicloud/openapi-client');
const { RPCClient, ROAClient } = require('@alicloud/pop-core');

if (process.argv[2] === '--sts') {
  const OpenApiUtil = require('@alicloud/openapi-util').default;
  // pop-core keeps buildStringToSign to its module: load the module's own
  // source with one line that hands the function out.
  const roaPath = require.resolve('@alicloud/pop-core/lib/roa.js');
  const roa = new Module(roaPath, module);
  roa.filename = roaPath;
  roa.paths = Module._nodeModulePaths(require('path').dirname(roaPath));
  roa._compile(fs.readFileSync(roaPath, 'utf8') + '\nmodule.exports.buildStringToSign = buildStringToSign;\n', roaPath);
  const vectors = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  for (const c of vectors.cases) {
    if (!c.forms.some((f) => f.aspect === 'roa.empty-query-value' && f.variant === 'k=')) {
      continue;
    }
    const headers = {};
    for (const [k, v] of c.headers) {
      headers[k.toLowerCase()] = v;
    }
    const query = {};
    for (const [k, v] of c.query) {
      query[k] = v;
    }
    const pathname = c.wire_url.split('?')[0];
    const out = [
      ['@alicloud/openapi-util', OpenApiUtil.getStringToSign({ method: c.method, pathname, headers, query })],
      ['@alicloud/pop-core', roa.exports.buildStringToSign(c.method, pathname, headers, query)],
    ];
    for (const [client, sts] of out) {
      process.stdout.write(JSON.stringify({ name: c.name, client, sts }) + '\n');
    }
  }
  process.exit(0);
}

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
// space, so that its path parameter travels escaped (docs/protocol.md §3.2, §9 F9);
// GetAppEnv sends an empty query value, which the TypeScript client signs
// "env=" (docs/protocol.md §2.2, §9 F8).
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
  // The forms probes of gateway/forms_test.go: a space in a path segment
  // and in a query value, an empty query value.
  'openapi-client/roa-probe': (key) => openapi(key)('v2').callApi(
    params('ListVirtualHosts', '2019-12-12', 'GET', '/instances/' + encodeURIComponent('amqp 1') + '/vhosts', 'ROA'),
    new OpenApi.OpenApiRequest({ query: { NextToken: '', Note: 'a b' } }), {}),
  'pop-core/roa-probe': (key) => new ROAClient({
    accessKeyId, accessKeySecret: key, endpoint: target, apiVersion: '2019-12-12', opts: { timeout },
  }).request('GET', '/instances/' + encodeURIComponent('amqp 1') + '/vhosts', { NextToken: '', Note: 'a b' }, '', {}, { timeout }),
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
