// The web page's parsers (src/daemon/web/app.js) under node: the SSE parser and the
// .torrent reader fed their input split at every byte, and refusing broken input.
'use strict';
const assert = require('assert');
const path = require('path');
const { sseParser, bdecode, torrentFiles, bytes } = require(path.resolve(process.argv[2]));

const stream = ': keep-alive\r\n\r\nid: 1-2\r\nevent: finished\r\ndata: {"a":1}\r\n\r\n' +
               'id: 1-3\nevent: progress\ndata: x\ndata:y\n\n:comment\revent: resync\rdata: {}\r\r\n';
const expected = [['finished', '{"a":1}', '1-2'], ['progress', 'x\ny', '1-3'], ['resync', '{}', '1-3']];
for (let split = 0; split <= stream.length; ++split) {
  const events = [];
  const feed = sseParser((type, data, id) => events.push([type, data, id]));
  feed(stream.slice(0, split));
  feed(stream.slice(split));
  assert.deepStrictEqual(events, expected, `split at ${split}`);
}
const byByte = [];
const feed = sseParser((type, data, id) => byByte.push([type, data, id]));
for (const c of stream) feed(c);
assert.deepStrictEqual(byByte, expected, 'one character at a time');

const enc = (s) => new TextEncoder().encode(s);
const multi = enc('d4:infod5:filesld6:lengthi5e4:pathl1:a5:b.txteed6:lengthi7e4:pathl5:c.bineee' +
                  '4:name3:top12:piece lengthi16384e6:pieces0:ee');
assert.deepStrictEqual(torrentFiles(multi), {
  name: 'top', size: 12,
  files: [{ index: 0, path: 'top/a/b.txt', size: 5 }, { index: 1, path: 'top/c.bin', size: 7 }] });
assert.deepStrictEqual(torrentFiles(enc('d4:infod6:lengthi42e4:name5:x.isoee')).files,
                       [{ index: 0, path: 'x.iso', size: 42 }]);
for (const bad of ['', 'd4:info', 'i12', '5:ab', 'd4:infoi1ee', 'l'.repeat(40), 'x', 'i1x2e', 'd4:infod4:name']) {
  assert.throws(() => torrentFiles(enc(bad)), Error, `accepted '${bad}'`);
}
assert.strictEqual(bdecode(enc('i-3e')), -3);
assert.strictEqual(bytes(1536), '1.5 KiB');
assert.strictEqual(bytes(null), '?');
console.log('web page parsers: ok');
