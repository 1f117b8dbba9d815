export * from './contacts.errors';
export * from './contacts.module';
export * from './contacts.service';
export * from './dto/email.dto';
