export * from './delivery.module';
export * from './delivery.service';
export * from './dto/messages.dto';
export * from './mail-bus';
export * from './mailbox-pump';
export * from './messages.repository';
