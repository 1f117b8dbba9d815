export * from './desktop.dialect';
export * from './desktop.module';
export * from './paths';
