/**
 * Types for the parts of ncalayer-js-client 1.5.6 (sigex-kz, MIT; ncalayer-client.js) that the
 * tests call. The package ships JavaScript only.
 */
declare module 'ncalayer-js-client' {
  export interface NCALayerSigningParams { decode?: boolean; encapsulate?: boolean; digested?: boolean; tsaProfile?: object }
  export interface NCALayerSignerParams { extKeyUsageOids: string[]; chain?: string[] }
  export class NCALayerError extends Error {
    canceledByUser: boolean | undefined;
  }
  export class NCALayerClient {
    constructor(url?: string, allowKmdHttpApi?: boolean);
    wsConnection: WebSocket | null;
    connect(): Promise<string>;
    getActiveTokens(): Promise<string[]>;
    getKeyInfo(storageType: string): Promise<Record<string, string>>;
    createCAdESFromBase64(storageType: string, data: string, keyType?: 'SIGNATURE' | 'AUTHENTICATION', attach?: boolean): Promise<string>;
    basicsSignCMS(allowedStorages: string[] | null, data: string | string[], signingParams: NCALayerSigningParams, signerParams: NCALayerSignerParams, locale?: string): Promise<string | string[]>;
    static get fileStorageType(): string;
    static get basicsStorageAll(): null;
    static get basicsStoragePKCS12(): string[];
    static get basicsCMSParamsDetached(): NCALayerSigningParams;
    static get basicsCMSParamsAttached(): NCALayerSigningParams;
    static get basicsCMSParamsDetachedHash(): NCALayerSigningParams;
    static get basicsSignerAuthAny(): NCALayerSignerParams;
    static get basicsSignerSignAny(): NCALayerSignerParams;
    static get basicsSignerAuthPerson(): NCALayerSignerParams;
    static get basicsSignerSignOrg(): NCALayerSignerParams;
    static get basicsSignerSignEmployee(): NCALayerSignerParams;
  }
}
