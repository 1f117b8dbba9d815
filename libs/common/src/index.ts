export * from './app-exception.filter';
export * from './config';
export * from './dto';
export * from './errors';
export * from './validation';
export * from './notifier';
export * from './common.errors';
export * from './guard';
