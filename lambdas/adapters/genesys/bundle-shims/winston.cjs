// Lambda bundles only (esbuild alias, see lib/controller-function.ts): the Genesys SDK builds a winston
// logger even with its logging off. This silent stand-in saves ~130 KB and means the SDK can never log
// request bodies or tokens from the controller.
class Transport {}
const format = Object.assign(() => () => ({}), { json: () => ({}), combine: () => ({}), simple: () => ({}) });
module.exports = {
  createLogger: () => ({ transports: [], add() {}, log() {} }),
  format,
  transports: { File: Transport, Console: Transport },
};
