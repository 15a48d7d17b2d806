// Lambda bundles only (esbuild alias, see lib/controller-function.ts): axios pulls in form-data (and its
// 140 KB MIME database) to send multipart forms. The controller only sends JSON, so this stands in.
class FormData {
  append() {
    throw new Error('multipart form bodies are not supported in the controller bundle');
  }
  getHeaders() {
    return {};
  }
}
module.exports = FormData;
