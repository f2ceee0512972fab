import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the operations that tests and examples use, checked against schema.graphql.
const config: CodegenConfig = {
  emitLegacyCommonJSImports: false,
  schema: 'schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  generates: {
    'test/generated/': {
      preset: 'client',
      config: { enumsAsTypes: true, useTypeImports: true, scalars: { DateTime: 'string', JSONObject: 'Record<string, any>' } },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
