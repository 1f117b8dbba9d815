import { Injectable } from '@nestjs/common';
import type { UserRecord } from '@app/auth';
import type { PublicProfile } from '@app/common';
import { PrismaService } from '@app/database';

export type Relation = 'contact' | 'requested' | 'requestedBy' | 'none';

@Injectable()
export class ContactsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** How `userId` stands with `otherId`, in one round trip. */
  async relation(userId: string, otherId: string): Promise<Relation> {
    const [row] = await this.prisma.$queryRaw<
      { contact: boolean; requested: boolean; requested_by: boolean }[]
    >`
      SELECT
        EXISTS (SELECT 1 FROM contacts WHERE user_id = ${userId}::uuid AND contact_id = ${otherId}::uuid) AS contact,
        EXISTS (SELECT 1 FROM contact_requests
                 WHERE requester_id = ${userId}::uuid AND addressee_id = ${otherId}::uuid) AS requested,
        EXISTS (SELECT 1 FROM contact_requests
                 WHERE requester_id = ${otherId}::uuid AND addressee_id = ${userId}::uuid) AS requested_by`;
    if (row.contact) return 'contact';
    if (row.requested) return 'requested';
    if (row.requested_by) return 'requestedBy';
    return 'none';
  }

  /**
   * Records a request unless the addressee has already asked the requester ('crossing') or either
   * side already has `maxPending` requests waiting (sent by the requester, or received by the
   * addressee). Both users are locked, always in the same order, so two people asking each other
   * at once cannot leave two requests pending and concurrent requests cannot overshoot a cap.
   */
  async createRequestUnlessCrossing(
    requesterId: string,
    addresseeId: string,
    maxPending: number,
  ): Promise<'created' | 'crossing' | 'duplicate' | 'requesterFull' | 'addresseeFull'> {
    return this.prisma.$transaction(async (tx) => {
      for (const userId of [requesterId, addresseeId].sort()) {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`contacts:${userId}`}, 0))`;
      }
      const crossing = await tx.contactRequest.findUnique({
        where: { requesterId_addresseeId: { requesterId: addresseeId, addresseeId: requesterId } },
        select: { requesterId: true },
      });
      if (crossing) return 'crossing';
      const [pending] = await tx.$queryRaw<{ sent: number; received: number }[]>`
        SELECT (SELECT count(*) FROM contact_requests WHERE requester_id = ${requesterId}::uuid)::int AS sent,
               (SELECT count(*) FROM contact_requests WHERE addressee_id = ${addresseeId}::uuid)::int AS received`;
      if (pending.sent >= maxPending) return 'requesterFull';
      if (pending.received >= maxPending) return 'addresseeFull';
      const { count } = await tx.contactRequest.createMany({
        data: [{ requesterId, addresseeId }],
        skipDuplicates: true, // the same request racing itself (a double click)
      });
      return count > 0 ? 'created' : 'duplicate';
    });
  }

  /** Deletes the pending request; false when there was none. */
  async deleteRequest(requesterId: string, addresseeId: string): Promise<boolean> {
    const { count } = await this.prisma.contactRequest.deleteMany({
      where: { requesterId, addresseeId },
    });
    return count > 0;
  }

  /**
   * Turns the pending request from requester to addressee into a contact (both directions),
   * atomically; false when no such request was pending (e.g. accepted twice).
   */
  async acceptRequest(requesterId: string, addresseeId: string): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.contactRequest.deleteMany({ where: { requesterId, addresseeId } });
      if (count === 0) return false;
      await tx.contact.createMany({
        data: [
          { userId: requesterId, contactId: addresseeId },
          { userId: addresseeId, contactId: requesterId },
        ],
        skipDuplicates: true,
      });
      return true;
    });
  }

  /** Removes the contact in both directions; false when they were not contacts. */
  async deleteContact(userId: string, otherId: string): Promise<boolean> {
    const { count } = await this.prisma.contact.deleteMany({
      where: {
        OR: [
          { userId, contactId: otherId },
          { userId: otherId, contactId: userId },
        ],
      },
    });
    return count > 0;
  }

  async areContacts(userId: string, otherId: string): Promise<boolean> {
    const row = await this.prisma.contact.findUnique({
      where: { userId_contactId: { userId, contactId: otherId } },
      select: { userId: true },
    });
    return row !== null;
  }

  /** The accepted contact of `userId` with this email, in one query (on the 1:1 send path). */
  async findContactByEmail(userId: string, email: string): Promise<UserRecord | null> {
    const { rows } = await this.prisma.pool.query<UserRecord>(
      `SELECT u.id::text, u.email, u.name, u.public_key AS "publicKey"
         FROM contacts c JOIN users u ON u.id = c.contact_id
        WHERE c.user_id = $1 AND u.email = $2`,
      [userId, email],
    );
    return rows[0] ?? null;
  }

  /** Requests waiting for `userId` to answer, oldest first, with the requester's profile. */
  async pendingRequestsFor(userId: string): Promise<PublicProfile[]> {
    // On every connect: a named statement on the pg pool, not a Prisma query (see PrismaService.pool).
    const { rows } = await this.prisma.pool.query<PublicProfile>({
      name: 'bowl_pending_requests_for',
      text: `SELECT u.name, u.email, u.public_key AS "publicKey"
               FROM contact_requests r JOIN users u ON u.id = r.requester_id
              WHERE r.addressee_id = $1
              ORDER BY r.created_at`,
      values: [userId],
    });
    return rows;
  }
}
