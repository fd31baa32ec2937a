'use strict';
// "Replayed Sends": the dead letters an operator replayed, one item each, for their sender.
async function main(ctx) {
  return ctx.items.flatMap((item) => (item.json.sends || []).map((record) => ({ json: record })));
}

module.exports = { main };
