import base64, hashlib, hmac, json, sys
from urllib.parse import quote

def pe(s):  # docs/protocol.md §1.3: UTF-8, A-Z a-z 0-9 - _ . ~ kept, all else %XY
    return quote(s, safe='-_.~')

for line in sys.stdin:  # one request per line (an input.json)
    req = json.loads(line)
    if req['style'] != 'rpc':
        print(json.dumps({'id': req['id'], 'error': 'RPC only'}), flush=True)
        continue
    params = sorted(req['query'] + req.get('form', []), key=lambda kv: kv[0].encode())
    canonical = '&'.join(pe(k) + '=' + pe(v) for k, v in params)  # §1.4
    sts = req['method'] + '&%2F&' + pe(canonical)
    key = (req['secret'] + '&').encode()  # the RPC key ends in '&'
    sig = base64.b64encode(hmac.new(key, sts.encode(), hashlib.sha1).digest()).decode()
    print(json.dumps({'id': req['id'], 'canonical': canonical,
                      'string_to_sign': sts, 'signature': sig}), flush=True)
