// What the integration global setup provides to every test file.
declare module "vitest" {
  export interface ProvidedContext {
    templateUrl: string;
  }
}
export {};
