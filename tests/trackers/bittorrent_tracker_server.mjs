// The npm bittorrent-tracker (webtorrent's tracker) as a test server: HTTP and UDP
// (BEP 15) on 127.0.0.1:PORT (the same number for both), UDP over IPv6 on [::1]:PORT.
//
//   node bittorrent_tracker_server.mjs PORT NODE_MODULES_DIR [LIFETIME_SECONDS]
//
// NODE_MODULES_DIR is where `npm install --ignore-scripts bittorrent-tracker@11.2.3` put
// the package (outside the source tree; trackers.sh does the install). Prints "ready"
// once every socket listens, logs announces to stderr, exits 1 on any server error and
// by itself after LIFETIME_SECONDS (default 300), so that it cannot outlive a test that
// was killed. Stop it with SIGTERM.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [portText, modulesDir, lifetimeText = '300'] = process.argv.slice(2)
const port = Number(portText)
const lifetime = Number(lifetimeText)
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !modulesDir || !(lifetime > 0)) {
  console.error('usage: node bittorrent_tracker_server.mjs PORT NODE_MODULES_DIR [LIFETIME_SECONDS]')
  process.exit(2)
}

// Only the server: the package's main entry pulls in the WebRTC client as well.
const serverUrl = pathToFileURL(join(modulesDir, 'bittorrent-tracker', 'server.js'))
const { default: Server } = await import(serverUrl.href)

const server = new Server({ http: true, udp: true, ws: false, stats: false, trustProxy: false })

server.on('error', err => {
  console.error(`bittorrent-tracker: error: ${err.message}`)
  process.exit(1)
})
server.on('warning', err => console.error(`bittorrent-tracker: warning: ${err.message}`))
server.on('start', addr => console.error(`bittorrent-tracker: started ${addr}`))
server.on('update', addr => console.error(`bittorrent-tracker: update ${addr}`))
server.on('complete', addr => console.error(`bittorrent-tracker: complete ${addr}`))
server.on('stop', addr => console.error(`bittorrent-tracker: stopped ${addr}`))
server.on('listening', () => console.log('ready'))

process.on('SIGTERM', () => process.exit(0))
setTimeout(() => {
  console.error('bittorrent-tracker: lifetime over, exiting')
  process.exit(0)
}, lifetime * 1000).unref()

server.listen(port, { http: '127.0.0.1', udp: '127.0.0.1', udp6: '::1' })
