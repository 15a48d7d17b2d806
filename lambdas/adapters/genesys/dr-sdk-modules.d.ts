// Types for the SDK module the DR adapter deep-imports besides those in sdk-modules.d.ts (with
// setReturnExtendedResponses(true) every call resolves or rejects with { status, headers, body }).
declare module 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/api/ConversationsApi.js' {
  import ApiClient from 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/ApiClient.js';
  export default class ConversationsApi {
    constructor(apiClient: ApiClient);
    postConversationsCallbacks(body: unknown): Promise<unknown>;
    getConversation(conversationId: string): Promise<unknown>;
  }
}
