export * from './auth.errors';
export * from './auth.module';
export * from './auth.service';
export * from './dto/login.dto';
export * from './dto/register.dto';
export * from './public-key';
export * from './socket-auth';
export * from './users.repository';
