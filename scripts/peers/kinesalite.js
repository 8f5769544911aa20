// kinesalite on loopback only (its command line binds every interface):
//   node scripts/peers/kinesalite.js target/peers/npm PORT
// Streams are created, deleted and updated in 10 ms; up to 1,000 shards.
const path = require('path');
const kinesalite = require(path.resolve(process.argv[2], 'node_modules', 'kinesalite'));
const port = Number(process.argv[3]);
kinesalite({ createStreamMs: 10, deleteStreamMs: 10, updateStreamMs: 10, shardLimit: 1000 })
  .listen(port, '127.0.0.1', () => console.log(`kinesalite listening on http://127.0.0.1:${port}`));
